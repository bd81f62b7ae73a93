"""Targeted operations: a week of action with its targets, teams, arrest attempts, live board and results."""
