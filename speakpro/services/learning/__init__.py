"""Learning: the catalogue, guided lessons and their feedback, milestones, quests, progress, the economy."""
