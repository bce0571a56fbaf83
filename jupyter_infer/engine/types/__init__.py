"""The six model types. Each module has ``fit(ctx) -> Fitted`` and a scorer class for batches."""
