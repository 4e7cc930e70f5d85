"""Keys and certificates: made, loaded, checked and dated offline."""
