print("callcredits")
