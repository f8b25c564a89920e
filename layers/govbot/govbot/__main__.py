from govbot.cli.main import main

main()
