"""Telling people: an SNS message per sweep, and a Slack digest with approval buttons."""
