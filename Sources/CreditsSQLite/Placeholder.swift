enum _PlaceholderCreditsSQLite {}
