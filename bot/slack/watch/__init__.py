"""The Bolt handlers of the buttons on a warning's card (``handlers``); what the buttons do is the chat
layer's (``bot.chat.watch``)."""
