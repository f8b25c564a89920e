"""One module per Lambda function, named as in template.yaml; functions/<name>/app.py holds only
the Powertools decorators and one call into it."""
