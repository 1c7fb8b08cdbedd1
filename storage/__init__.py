"""Database engine, tables, repositories, migrations and FSM storage; nothing of Telegram."""
