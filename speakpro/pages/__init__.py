"""Page layouts; each module registers one page with its route and loader."""
