"""Messages to many people at once: broadcasts, their audiences and their progress."""
