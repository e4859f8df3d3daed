import azure.functions as func


def main(req: func.HttpRequest) -> str:
    return f"legacy {req.route_params['id']}"
