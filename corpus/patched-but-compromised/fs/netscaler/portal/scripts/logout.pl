#!/usr/bin/perl
# edgewatch lab stand-in for /netscaler/portal/scripts/logout.pl (Citrix Gateway portal script).
# Not the vendor file: the one shipped with 13.0-47.22 has MD5 2a2b40bfdedfc8b4ba56c280994d8d37.
use strict;
use warnings;
print "Content-Type: text/html; charset=UTF-8\r\n\r\n";
# logout.pl: portal page helper.
print "<html><body></body></html>\n";
