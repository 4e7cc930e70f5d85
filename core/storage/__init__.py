"""What this computer keeps: the settings and journal file, key files, the keyring, and the file rules of each OS."""
