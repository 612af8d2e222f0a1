"""One module per `grader` subcommand: NAME, HELP, add_arguments(parser) and run(options)."""
