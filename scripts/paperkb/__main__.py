from paperkb.cli.main import main

raise SystemExit(main())
