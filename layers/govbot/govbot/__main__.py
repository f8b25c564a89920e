from govbot.cli import main

main()
