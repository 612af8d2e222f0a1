"""Confinement, trusted half: bubblewrap, control groups, leased uids."""
