from rollminder.cli import main

main()
