"""The cycle: sweep, record, plan, re-check, act and audit, one path for every way in."""
