enum _PlaceholderCreditsPostgres {}
