"""The state table: findings, decisions, the audit log, savings and sealed records."""
