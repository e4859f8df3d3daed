def main(req) -> str:
    return "disabled by AzureWebJobs.Switched.Disabled, never served"
