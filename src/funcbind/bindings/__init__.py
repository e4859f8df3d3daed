"""Built-in binding families: one module each, model and converter side by side."""
