"""What both sides of the trust boundary share: the frame protocol, limits, file imports."""
