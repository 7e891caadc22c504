"""Where people come in: the rules that decide whether a call needs a person
(`policies`), interruptions with their evidence and people's decisions (`approvals`), the
terminal channel (`console`) and the append-only record of what happened (`audit`)."""
