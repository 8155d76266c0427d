"""doithoai: the ward dialogue chatbot."""
