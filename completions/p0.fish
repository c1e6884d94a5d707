complete --keep-order --exclusive --command p0 --arguments "(COMPLETE=fish p0 -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
