"""The counter screen (``bianmin counter``): the clerk's and the village agent's window."""
