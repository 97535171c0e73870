# Independent model of ipvsadm 1.31's printf formats (ipvsadm.c print_title, print_service_entry,
# print_largenum, list_conn, print_conn), used once to write the golden files. Not part of the build.
import sys
NAMES={(80,'tcp'):'http',(8080,'tcp'):'http-alt',(53,'udp'):'domain',(5060,'udp'):'sip'}
def largenum(n, exact):
    if exact:
        l=len(str(n)); return '%*d'%(9 if l<=8 else l+1, n)
    if n<100000000: return '%9d'%n
    if n<1000000000: return '%8dK'%(n//1000)
    if n<100000000000: return '%8dM'%(n//1000000)
    if n<100000000000000: return '%8dG'%(n//1000000000)
    return '%8dT'%(n//1000000000000)
def ap(addr,port,proto,numeric):
    p=str(port) if numeric or proto is None else NAMES.get((port,proto),str(port))
    return ('[%s]'%addr if ':' in addr else addr)+':'+p
# services in kernel (configuration) order; servers in kernel order (newest first)
S=[
 dict(proto='udp',addr='192.168.1.254',port=53,sched='sh',flags='sh-port',pers=60,fw=None,
      stats=(5000,5000,4999,320000,640000),rates=(3,3,3,192,384),
      rs=[dict(addr='10.0.0.21',port=53,fwd='Masq',sw='-m',w=2,act=0,inact=17,pc=2,ux=0,ly=0,ti=None,
               stats=(5000,5000,4999,320000,640000),rates=(3,3,3,192,384))]),
 dict(proto='tcp',addr='192.168.1.254',port=80,sched='wlc',flags=None,pers=None,fw=None,
      stats=(123456789,987654321,0,98765432109,1234567890123),rates=(1200,23000,0,2500000,0),
      rs=[dict(addr='10.0.0.12',port=8080,fwd='Masq',sw='-m',w=1,act=0,inact=7,pc=0,ux=0,ly=0,ti=None,
               stats=(61728395,493827161,0,49382716055,617283945062),rates=(600,11500,0,1250000,0)),
          dict(addr='10.0.0.11',port=80,fwd='Masq',sw='-m',w=3,act=12,inact=34,pc=5,ux=100,ly=50,ti=None,
               stats=(61728394,493827160,0,49382716054,617283945061),rates=(600,11500,0,1250000,0))]),
 dict(proto='tcp',addr=None,port=0,sched='rr',flags=None,pers=None,fw=1,
      stats=(99999999,100000000,1000000000,99999999999,100000000000000),rates=(0,0,0,0,0),
      rs=[dict(addr='10.0.0.31',port=0,fwd='Tunnel',sw='-i',w=1,act=1,inact=0,pc=0,ux=0,ly=0,ti='gue:6080:+c',
               stats=(99999999,100000000,1000000000,99999999999,100000000000000),rates=(0,0,0,0,0))]),
]
def ipkey(a): return tuple(int(x) for x in a.split('.'))
def sorted_services(ss):
    return sorted(ss,key=lambda s:((s['fw'] or 0),{'tcp':6,'udp':17}[s['proto']],ipkey(s['addr'] or '0.0.0.0'),s['port']))
def title(fmt):
    if 'stats' in fmt: return '%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n'%('Prot LocalAddress:Port','Conns','InPkts','OutPkts','InBytes','OutBytes')
    if 'rate' in fmt: return '%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n'%('Prot LocalAddress:Port','CPS','InPPS','OutPPS','InBPS','OutBPS')
    if 'thresholds' in fmt: return '%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n'%('Prot LocalAddress:Port','Uthreshold','Lthreshold','ActiveConn','InActConn')
    if 'pconn' in fmt: return '%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n'%('Prot LocalAddress:Port','Weight','PersistConn','ActiveConn','InActConn')
    if 'tun' in fmt: return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n'
    return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n'
def entry(s,fmt):
    num='n' in fmt; ex='exact' in fmt; out=''
    rule='rule' in fmt
    if s['fw']: svc=('-f %d'%s['fw']) if rule else 'FWM  %d'%s['fw']
    else:
        v=ap(s['addr'],s['port'],s['proto'],num)
        svc=('%s %s'%({'tcp':'-t','udp':'-u'}[s['proto']],v)) if rule else ('%-4s %s'%(s['proto'].upper(),v))[:33]
    if rule:
        out+='-A %s -s %s'%(svc,s['sched'])
        if s['pers']: out+=' -p %d'%s['pers']
        if s['flags']: out+=' -b '+s['flags']
    elif 'stats' in fmt or 'rate' in fmt:
        c=s['stats'] if 'stats' in fmt else s['rates']
        out+='%-33s'%svc+''.join(largenum(x,ex) for x in c)
    else:
        out+='%s %s'%(svc,s['sched'])
        if s['flags']: out+=' (%s)'%s['flags']
        if s['pers']: out+=' persistent %d'%s['pers']
    out+='\n'
    rs=s['rs'] if 'nosort' in fmt else sorted(s['rs'],key=lambda r:(ipkey(r['addr']),r['port']))
    for r in rs:
        d=ap(r['addr'],r['port'],s['proto'],num)
        if not rule: d=d[:28]
        if rule:
            out+='-a %s -r %s %s -w %d'%(svc,d,r['sw'],r['w'])
            if r['ti']: out+=' --tun-type gue --tun-port 6080 --tun-csum'
            out+='\n'
        elif 'stats' in fmt: out+='  -> %-28s'%d+''.join(largenum(x,ex) for x in r['stats'])+'\n'
        elif 'rate' in fmt:
            c=r['rates']; out+='  -> %-28s %8d %8d %8d'%(d,c[0],c[1],c[2])+largenum(c[3],ex)+largenum(c[4],ex)+'\n'
        elif 'thresholds' in fmt: out+='  -> %-28s %-10u %-10u %-10u %-10u\n'%(d,r['ux'],r['ly'],r['act'],r['inact'])
        elif 'pconn' in fmt: out+='  -> %-28s %-9u %-11u %-10u %-10u\n'%(d,r['w'],r['pc'],r['act'],r['inact'])
        elif 'tun' in fmt: out+='  -> %-28s %-7s %-13s %-6d %-10u %-10u\n'%(d,r['fwd'],r['ti'] or 'n/a',r['w'],r['act'],r['inact'])
        else: out+='  -> %-28s %-7s %-6d %-10u %-10u\n'%(d,r['fwd'],r['w'],r['act'],r['inact'])
    return out
def listing(fmt, one=None):
    ss=S if 'nosort' in fmt else sorted_services(S)
    if one is not None: return title(fmt)+entry(S[one],fmt)
    if 'rule' in fmt: return ''.join(entry(s,fmt) for s in ss)
    return 'IP Virtual Server version 1.2.1 (size=4096)\n'+title(fmt)+''.join(entry(s,fmt) for s in ss)
files={
 'list-numeric':listing({'n'}),'list-names':listing(set()),'stats':listing({'n','stats'}),
 'stats-exact':listing({'n','stats','exact'}),'rate':listing({'n','rate'}),'rate-exact':listing({'n','rate','exact'}),
 'thresholds':listing({'n','thresholds'}),'persistent-conn':listing({'n','pconn'}),'tun-info':listing({'n','tun'}),
 'nosort':listing({'n','nosort'}),'one-service-stats':listing({'n','stats'},one=1),
 'save-numeric':listing({'n','rule'}),'save-names':listing({'rule'}),
 'timeout':'Timeout (tcp tcpfin udp): %d %d %d\n'%(1000,120,30),
}
# connections: example (h) of lvs-reference.md plus an IPv6 row
C=[('TCP',897,'ESTABLISHED','198.51.100.20',54321,'192.168.1.254',80,'10.0.0.11',80,None,None),
   ('TCP',599,'NONE','198.51.100.0',0,'192.168.1.254',80,'10.0.0.11',80,None,None),
   ('IP',355,'NONE','198.51.100.23',0,'0.0.0.1',0,'10.0.0.31',0,None,None),
   ('UDP',28,'UDP','198.51.100.25',5060,'192.168.1.253',5060,'10.0.0.33',5060,'sip','6b6f6d6140657861'),
   ('TCP',6000,'FIN_WAIT','2001:db8::7',40000,'2001:db8::80',80,'2001:db8::a0a0',8080,None,None)]
def conns(num,pconn):
    out='IPVS connection entries\n'
    out+=('pro expire %-11s %-18s %-18s %-18s %-16s %s\n'%('state','source','virtual','destination','pe name','pe_data')) if pconn else ('pro expire %-11s %-18s %-18s %s\n'%('state','source','virtual','destination'))
    for (p,e,st,ca,cp,va,vp,da,dp,pe,pd) in C:
        proto={'TCP':'tcp','UDP':'udp'}.get(p)
        c,v,d=ap(ca,cp,proto,num),ap(va,vp,proto,num),ap(da,dp,proto,num)
        ex='%02d:%02d'%(e//60,e%60)
        if pconn and pe: out+='%-3s %-6s %-11s %-18s %-18s %-16s %-18s %s\n'%(p,ex,st,c,v,d,pe,pd)
        else: out+='%-3s %-6s %-11s %-18s %-18s %s\n'%(p,ex,st,c,v,d)
    return out
files['connections-numeric']=conns(True,False); files['connections-names']=conns(False,False); files['connections-persistent-conn']=conns(True,True)
for k,v in files.items(): open(k+'.txt','w').write(v)
