"""The MLflow tracking-server client: HTTP, the REST reader, its cache, remote artifacts, push."""
