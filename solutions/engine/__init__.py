"""The machinery no problem module touches: publishing, sets and releases, the answer key,
the errata register, the results cache and the companion notebooks."""
