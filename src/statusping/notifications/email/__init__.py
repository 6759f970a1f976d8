"""Email channel: HTML and plain-text alert mails through the one mail module (``statusping.mail``)."""
