"""What students hand in, read as regular files only: files, zips, notebooks, ids."""
