from officeflow.cli import main

main()
