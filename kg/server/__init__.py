"""The web server: ``create_app()`` builds the FastAPI application."""
