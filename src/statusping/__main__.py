from statusping.cli import main

main()
