"""E-mail to travellers: rendering (EN/FR, text and HTML) and delivery (files or SMTP)."""
