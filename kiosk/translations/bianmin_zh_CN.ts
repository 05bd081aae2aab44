<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>DemoPanel</name>
    <message>
        <source>Demo console</source>
        <translation>演示操作台</translation>
    </message>
    <message>
        <source>Take a ticket</source>
        <translation>取号</translation>
    </message>
    <message>
        <source>Windows</source>
        <translation>窗口</translation>
    </message>
    <message>
        <source>Window %1</source>
        <translation>%1号窗口</translation>
    </message>
    <message>
        <source>Call next</source>
        <translation>叫号</translation>
    </message>
    <message>
        <source>Recall</source>
        <translation>重呼</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>办结</translation>
    </message>
    <message>
        <source>No-show</source>
        <translation>弃号</translation>
    </message>
    <message>
        <source>Ticket %1: %2 ahead</source>
        <translation>%1号，前面 %2 人</translation>
    </message>
    <message>
        <source>%1 called to window %2</source>
        <translation>已叫 %1 到 %2 号窗口</translation>
    </message>
    <message>
        <source>Done: %1</source>
        <translation>完成：%1</translation>
    </message>
</context>
<context>
    <name>HallWindow</name>
    <message>
        <source>Now calling</source>
        <translation>正在叫号</translation>
    </message>
    <message>
        <source>Earlier calls</source>
        <translation>已叫号</translation>
    </message>
    <message>
        <source>Windows</source>
        <translation>窗口</translation>
    </message>
    <message>
        <source>Waiting now</source>
        <translation>当前等候</translation>
    </message>
    <message>
        <source>Window %1</source>
        <translation>%1号窗口</translation>
    </message>
    <message>
        <source>Free</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>暂停服务</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>未开放</translation>
    </message>
    <message>
        <source>No more tickets today</source>
        <translation>今日已停止取号</translation>
    </message>
    <message>
        <source>waiting</source>
        <translation>人等候</translation>
    </message>
    <message>
        <source>min</source>
        <translation>分钟</translation>
    </message>
    <message>
        <source>Reconnecting…</source>
        <translation>正在重新连接…</translation>
    </message>
    <message>
        <source>The numbers below are the last known, not current.</source>
        <translation>以下为断线前的信息，不是当前叫号。</translation>
    </message>
    <message>
        <source>Connecting to the station…</source>
        <translation>正在连接叫号系统…</translation>
    </message>
    <message>
        <source>No calls yet</source>
        <translation>暂无叫号</translation>
    </message>
    <message>
        <source>Recall</source>
        <translation>重呼</translation>
    </message>
</context>
</TS>
