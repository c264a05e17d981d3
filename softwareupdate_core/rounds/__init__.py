"""The check and update rounds: checking, status building, planning, updating, guards, restart."""
