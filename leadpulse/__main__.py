from leadpulse.cli.main import main

main()
