"""The command line: commands by group, the reports, progress and finding ids."""
