"""MLflow's own stores: the file store (mlruns/) and SQL stores (mlflow.db), and their model registry."""
