"""Analysis of practice: speech metrics, the local rubric and the AI coach."""
