"""Alert delivery: the dispatcher claims outbox rows and hands built messages to small channels."""
