"""Andon: the Slack bot, the LangGraph agent, its reasoners, the incident store and the CLI."""
