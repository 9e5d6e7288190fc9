# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_sdtoken_global_optspecs
    string join \n context= api-url= json no-input v/verbose q/quiet ca-cert= timeout= min-ttl= h/help V/version
end

function __fish_sdtoken_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_sdtoken_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_sdtoken_using_subcommand
    set -l cmd (__fish_sdtoken_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c sdtoken -n "__fish_sdtoken_needs_command" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_needs_command" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_needs_command" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_needs_command" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_needs_command" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_needs_command" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -s V -l version -d 'Print version'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "login" -d 'Store an API token for a context, after checking it with one exchange'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "logout" -d 'Remove the stored API token and cached JWT of a context'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "status" -d 'Show the identity, scope, expiry and source of the current credential'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "exchange" -d 'Print a JWT for the current credential, as one line on stdout'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "env" -d 'Print SD_API_URL and SD_TOKEN assignments for eval'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "exec" -d 'Run a command with SD_API_URL and SD_TOKEN in its environment'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "list" -d 'List tokens: id, name, description and when each was last used'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "create" -d 'Create a token and print its value once on stdout'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "update" -d 'Rename a token or change its description'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "refresh" -d 'Give a token a new value; the old value stops working at once'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "delete" -d 'Delete tokens'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "context" -d 'List, switch or remove contexts (one per Screwdriver instance)'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c sdtoken -n "__fish_sdtoken_needs_command" -f -a "help" -d 'Show help for a command, or a reference page: environment, exit-codes'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand login" -l store -d 'Where to keep the token: keyring (OS secret store), keyutils (volatile) or file (plaintext)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand login" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand login" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand login" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand login" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand login" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand login" -l with-token -d 'Read the token from stdin instead of prompting'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand login" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand login" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand login" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand login" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand logout" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand logout" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand logout" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand logout" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand logout" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand logout" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand logout" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand logout" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand logout" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand status" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand status" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand status" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand status" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand status" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand status" -l verify -d 'Check the JWT\'s RS256 signature against the server\'s key (GET /v4/auth/key)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand status" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand status" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand status" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand status" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exchange" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exchange" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exchange" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exchange" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exchange" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exchange" -l no-cache -d 'Exchange even when a cached JWT is still valid; the new JWT replaces it'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exchange" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exchange" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exchange" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exchange" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exchange" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -l shell -d 'Output format; `--json` means `--shell json` [default: from $SHELL, else sh]' -r -f -a "sh\t''
bash\t''
zsh\t''
fish\t''
powershell\t''
dotenv\t''
json\t''"
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -l var -d 'Export the JWT under this variable name instead of SD_TOKEN' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -l replace-build-token -d 'Inside a build, replace the build\'s SD_TOKEN with the JWT of another credential'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand env" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exec" -l var -d 'Export the JWT under this variable name instead of SD_TOKEN' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exec" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exec" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exec" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exec" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exec" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exec" -l replace-build-token -d 'Inside a build, replace the build\'s SD_TOKEN with the JWT of another credential'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exec" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exec" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exec" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exec" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand list" -l pipeline -d 'Work on this pipeline\'s tokens instead of your user tokens' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand list" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand list" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand list" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand list" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand list" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand list" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand list" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand list" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand list" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -s d -l description -d 'Description, at most 256 characters' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -l pipeline -d 'Work on this pipeline\'s tokens instead of your user tokens' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -l save -d 'Store the new value as the API token of the context'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -l name -d 'New name, 1 to 128 characters' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -s d -l description -d 'New description, at most 256 characters (empty clears it)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -l pipeline -d 'Work on this pipeline\'s tokens instead of your user tokens' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -l by-name -d 'Treat TOKEN as a name even when it is all digits'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -l pipeline -d 'Work on this pipeline\'s tokens instead of your user tokens' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -l save -d 'Store the new value as the API token of the context'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -s y -l yes -d 'Do not ask for confirmation'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -l by-name -d 'Treat TOKEN as a name even when it is all digits'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand refresh" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -l pipeline -d 'Work on this pipeline\'s tokens instead of your user tokens' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -l all -d 'Delete every token of the pipeline given with --pipeline'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -s y -l yes -d 'Do not ask for confirmation'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -l by-name -d 'Treat TOKEN as a name even when it is all digits'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -f -a "list" -d 'List contexts and mark the current one'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -f -a "use" -d 'Make NAME the current context'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and not __fish_seen_subcommand_from list use remove" -f -a "remove" -d 'Remove a context, its stored API token and its cached JWT'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from list" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from list" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from list" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from list" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from list" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from list" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from use" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from use" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from use" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from use" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from use" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from use" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from use" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from use" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from use" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from use" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from remove" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from remove" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from remove" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from remove" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from remove" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from remove" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from remove" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand context; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand completions" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand completions" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand completions" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand completions" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand completions" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand completions" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand completions" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand completions" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand completions" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand help" -l context -d 'Context (Screwdriver instance) to use [default: the current context, else `default`]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand help" -l api-url -d 'Screwdriver API URL, such as `https://api.screwdriver.cd` [default: the context\'s URL]' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand help" -l ca-cert -d 'Extra CA certificates (PEM) to trust for the API; `login` remembers them for the context' -r -F
complete -c sdtoken -n "__fish_sdtoken_using_subcommand help" -l timeout -d 'Time limit per HTTP request, in seconds' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand help" -l min-ttl -d 'Renew a cached JWT this long before it expires (seconds, or 90s, 5m, 1h)' -r
complete -c sdtoken -n "__fish_sdtoken_using_subcommand help" -l json -d 'Print one JSON document on stdout instead of text'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand help" -l no-input -d 'Never prompt; fail instead when input is needed'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand help" -s v -l verbose -d 'Log more on stderr: -v requests, -vv details, -vvv headers (secrets redacted)'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand help" -s q -l quiet -d 'Print only data and errors'
complete -c sdtoken -n "__fish_sdtoken_using_subcommand help" -s h -l help -d 'Print help (see more with \'--help\')'
