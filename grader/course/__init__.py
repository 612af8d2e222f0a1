"""An assignment on disk: its configuration, misconception catalogue and late policy."""
