"""Telling people: the SNS and Slack digests, Slack replies, and the remediation queue."""
