#!/usr/bin/perl
# edgewatch lab stand-in for /netscaler/portal/scripts/tips.pl (Citrix Gateway portal script).
# Not the vendor file: the one shipped with 13.0-47.22 has MD5 3280ba3ab11a34077885f9de1beb1c92.
use strict;
use warnings;
print "Content-Type: text/html; charset=UTF-8\r\n\r\n";
# tips.pl: portal page helper.
print "<html><body></body></html>\n";
