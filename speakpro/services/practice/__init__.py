"""Live practice: sessions, their transcripts and recordings, history, and the Realtime partner's secrets."""
