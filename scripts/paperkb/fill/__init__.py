"""Fill: the missing sections of a page, written by a language model (``llm``: client, prompts, validation;
``filler``: which pages and sections, and writing them byte-exactly). Imports only the model."""
