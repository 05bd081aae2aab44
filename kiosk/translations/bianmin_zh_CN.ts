<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>CounterAcceptance</name>
    <message>
        <source>Applicant</source>
        <translation>申请人</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>代办人</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>ID number</source>
        <translation>证件号码</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>联系电话</translation>
    </message>
    <message>
        <source>Relationship</source>
        <translation>与申请人关系</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>请选择…</translation>
    </message>
    <message>
        <source>from the ID card</source>
        <translation>读自身份证</translation>
    </message>
    <message>
        <source>Applying for someone else (agent)</source>
        <translation>代他人办理（代办）</translation>
    </message>
    <message>
        <source>Next card is the</source>
        <translation>下一张卡是</translation>
    </message>
    <message>
        <source>Place the ID card on the reader, or type the details in</source>
        <translation>请将身份证放在读卡器上，或手工录入</translation>
    </message>
    <message>
        <source>No ID card reader: type the details in</source>
        <translation>未连接身份证阅读器，请手工录入</translation>
    </message>
    <message>
        <source>The card cannot be read now: type the details in</source>
        <translation>暂时无法读卡，请手工录入</translation>
    </message>
    <message>
        <source>ID card read</source>
        <translation>已读取身份证</translation>
    </message>
    <message>
        <source>The card&apos;s number fails its check digit: compare it with the card</source>
        <translation>证件号码校验位不符，请与证件核对</translation>
    </message>
    <message>
        <source>%1 of 18 characters</source>
        <translation>已输入 %1/18 位</translation>
    </message>
    <message>
        <source>Number checked</source>
        <translation>号码校验通过</translation>
    </message>
    <message>
        <source>Check digit wrong: look at the number again</source>
        <translation>校验位不对，请再核对号码</translation>
    </message>
    <message>
        <source>Capture now</source>
        <translation>立即拍摄</translation>
    </message>
    <message>
        <source>Retake</source>
        <translation>重拍</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>◀ Earlier</source>
        <translation>◀ 前移</translation>
    </message>
    <message>
        <source>Later ▶</source>
        <translation>后移 ▶</translation>
    </message>
    <message>
        <source>Page %1</source>
        <translation>第%1页</translation>
    </message>
    <message>
        <source>Document camera not connected</source>
        <translation>高拍仪未连接</translation>
    </message>
    <message>
        <source>Check its USB cable and restart the counter; meanwhile mark the material waived or deferred where allowed, everything else works</source>
        <translation>请检查高拍仪的USB线并重启窗口程序；其间可将允许的材料标为免提交或容缺，其他功能照常使用</translation>
    </message>
    <message>
        <source>Starting the camera…</source>
        <translation>正在启动高拍仪…</translation>
    </message>
    <message>
        <source>No page yet: lay the page under the camera</source>
        <translation>尚未拍摄：请将材料放在高拍仪下</translation>
    </message>
    <message>
        <source>Materials</source>
        <translation>材料清单</translation>
    </message>
    <message>
        <source>required</source>
        <translation>必需</translation>
    </message>
    <message>
        <source>optional</source>
        <translation>可选</translation>
    </message>
    <message>
        <source>may come later</source>
        <translation>可容缺</translation>
    </message>
    <message>
        <source>waivable: shared data</source>
        <translation>可免提交：数据共享</translation>
    </message>
    <message>
        <source>waivable: e-licence</source>
        <translation>可免提交：电子证照</translation>
    </message>
    <message>
        <source>%1 pages</source>
        <translation>已采集%1页</translation>
    </message>
    <message>
        <source>Waived</source>
        <translation>免提交</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>容缺</translation>
    </message>
    <message>
        <source>Missing</source>
        <translation>缺</translation>
    </message>
    <message>
        <source>Not brought</source>
        <translation>未提交</translation>
    </message>
    <message>
        <source>Choose an item or a bundle to see its materials</source>
        <translation>请选择事项或“一件事”以显示材料清单</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在核对…</translation>
    </message>
    <message>
        <source>Fee</source>
        <translation>收费</translation>
    </message>
    <message>
        <source>free</source>
        <translation>免费</translation>
    </message>
    <message>
        <source>%1 yuan</source>
        <translation>%1 元</translation>
    </message>
    <message>
        <source>Done by</source>
        <translation>承诺办结</translation>
    </message>
    <message>
        <source>provisional: next year&apos;s holidays not published</source>
        <translation>暂定：明年节假日尚未公布</translation>
    </message>
    <message>
        <source>Ready to accept</source>
        <translation>可以受理</translation>
    </message>
    <message>
        <source>Discard this case? What was typed and every page captured are cleared.</source>
        <translation>放弃这个办件？已录入的信息和采集的页面都将清除。</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>放弃</translation>
    </message>
    <message>
        <source>Keep working</source>
        <translation>继续办理</translation>
    </message>
    <message>
        <source>Sending pages %1 of %2…</source>
        <translation>正在上传第%1/%2页…</translation>
    </message>
    <message>
        <source>The station is accepting the case…</source>
        <translation>站点正在受理…</translation>
    </message>
    <message>
        <source>Accepted %1. Printing the receipt…</source>
        <translation>已受理 %1，正在打印回执…</translation>
    </message>
    <message>
        <source>Accepted %1: the case is safe, but the paper did not print.</source>
        <translation>已受理 %1，办件已保存，但未能打印。</translation>
    </message>
    <message>
        <source>Print again</source>
        <translation>重新打印</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Not accepted yet: fix these, then press Accept again</source>
        <translation>尚未受理：请处理以下问题后再次点“受理”</translation>
    </message>
    <message>
        <source>The case was not sent</source>
        <translation>办件未提交</translation>
    </message>
    <message>
        <source>Nothing is lost: check the network and the station, then press Accept again</source>
        <translation>信息均已保留：请检查网络和站点服务后再次点“受理”</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>办理事项</translation>
    </message>
    <message>
        <source>Name, pinyin initials or code</source>
        <translation>名称、拼音首字母或编码</translation>
    </message>
    <message>
        <source>Bundle</source>
        <translation>一件事</translation>
    </message>
    <message>
        <source>%1 working days</source>
        <translation>%1个工作日</translation>
    </message>
    <message>
        <source>on the spot</source>
        <translation>即办</translation>
    </message>
    <message>
        <source>Nothing found</source>
        <translation>没有找到</translation>
    </message>
    <message>
        <source>Chosen</source>
        <translation>已选</translation>
    </message>
    <message>
        <source>Nothing chosen yet: search and tap a line</source>
        <translation>尚未选择：请搜索后点选</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Loading the catalogue…</source>
        <translation>正在载入事项清单…</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Choose a material on the list</source>
        <translation>请在清单中选择一项材料</translation>
    </message>
    <message>
        <source>Capture</source>
        <translation>拍摄</translation>
    </message>
    <message>
        <source>Waive</source>
        <translation>免提交</translation>
    </message>
    <message>
        <source>Bring later</source>
        <translation>容缺后补</translation>
    </message>
    <message>
        <source>Not needed from the applicant: the window gets it from shared data.</source>
        <translation>无需申请人提交：窗口通过数据共享获取。</translation>
    </message>
    <message>
        <source>Not needed on paper: scan the e-licence code with the code scanner, or type it.</source>
        <translation>无需纸质材料：请用扫码枪扫描电子证照码，或手工输入。</translation>
    </message>
    <message>
        <source>E-licence code</source>
        <translation>电子证照码</translation>
    </message>
    <message>
        <source>Bring by</source>
        <translation>补交期限</translation>
    </message>
    <message>
        <source>latest %1 (working days only)</source>
        <translation>最迟 %1（仅限工作日）</translation>
    </message>
    <message>
        <source>Print the commitment</source>
        <translation>打印告知承诺书</translation>
    </message>
    <message>
        <source>Commitment signed</source>
        <translation>承诺书已签字</translation>
    </message>
    <message>
        <source>Accepted without it: the applicant signs the commitment (告知承诺书) to bring it by the date.</source>
        <translation>先行受理：申请人签署告知承诺书，承诺在期限内补交。</translation>
    </message>
    <message>
        <source>Acceptance</source>
        <translation>一窗受理</translation>
    </message>
    <message>
        <source>Walk-in</source>
        <translation>现场受理（无号）</translation>
    </message>
    <message>
        <source>Ticket %1</source>
        <translation>%1号</translation>
    </message>
    <message>
        <source>Accept</source>
        <translation>受理</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>%1 to fix</source>
        <translation>%1项待处理</translation>
    </message>
    <message>
        <source>The checklist could not be checked</source>
        <translation>无法核对材料清单</translation>
    </message>
    <message>
        <source>A code was scanned, but the material shown does not need one: choose the e-licence material and its Waive first</source>
        <translation>扫到一个码，但当前材料不需要：请先选中电子证照材料并点“免提交”</translation>
    </message>
    <message>
        <source>E-licence code scanned</source>
        <translation>已扫描电子证照码</translation>
    </message>
    <message>
        <source>Printed: let the applicant sign it, then tick Commitment signed</source>
        <translation>已打印：请申请人签字后勾选“承诺书已签字”</translation>
    </message>
    <message>
        <source>Enter the applicant first: the commitment carries their name</source>
        <translation>请先录入申请人：承诺书上要写申请人姓名</translation>
    </message>
    <message>
        <source>Agent service (帮办代办)</source>
        <translation>帮办代办</translation>
    </message>
    <message>
        <source>Home visit (上门服务)</source>
        <translation>上门服务</translation>
    </message>
</context>
<context>
    <name>CounterHelp</name>
    <message>
        <source>Someone at the self-service kiosk asks for help</source>
        <translation>自助终端有群众请求帮办</translation>
    </message>
    <message>
        <source>%1 people at the kiosks ask for help</source>
        <translation>自助终端有 %1 位群众请求帮办</translation>
    </message>
    <message>
        <source>I&apos;m going</source>
        <translation>我去帮忙</translation>
    </message>
</context>
<context>
    <name>CounterLogin</name>
    <message>
        <source>Sign in at the window</source>
        <translation>窗口登录</translation>
    </message>
    <message>
        <source>Window %1</source>
        <translation>%1号窗口</translation>
    </message>
    <message>
        <source>Clerk id</source>
        <translation>工号</translation>
    </message>
    <message>
        <source>PIN or password</source>
        <translation>PIN 或密码</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>正在登录…</translation>
    </message>
    <message>
        <source>Type your clerk id and your PIN or password.</source>
        <translation>请输入工号和 PIN 或密码。</translation>
    </message>
    <message>
        <source>A clerk id is letters, digits, dots, dashes or underscores.</source>
        <translation>工号只能由字母、数字、点、横线或下划线组成。</translation>
    </message>
    <message>
        <source>Signing in opens the window for you; signing out pauses it.</source>
        <translation>登录即开放本窗口；退出登录则暂停本窗口。</translation>
    </message>
</context>
<context>
    <name>CounterWindow</name>
    <message>
        <source>Bianmin counter — window %1</source>
        <translation>便民窗口 — %1号窗口</translation>
    </message>
    <message>
        <source>Acceptance</source>
        <translation>受理</translation>
    </message>
    <message>
        <source>Today&apos;s cases</source>
        <translation>今日办件</translation>
    </message>
    <message>
        <source>Manager</source>
        <translation>管理</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <source>Signed out: the window is paused.</source>
        <translation>已退出登录，本窗口已暂停。</translation>
    </message>
    <message>
        <source>The acceptance page is not available in this build.</source>
        <translation>本版本没有受理页面。</translation>
    </message>
    <message>
        <source>Case accepted: receipt %1</source>
        <translation>已受理，受理号 %1</translation>
    </message>
    <message>
        <source>Accepted offline: receipt %1; it goes to the station when it is back</source>
        <translation>已离线受理：回执编号 %1，回站后上传</translation>
    </message>
    <message>
        <source>Delivered to the station: %1 kept offline</source>
        <translation>离线暂存已上传站点：%1</translation>
    </message>
    <message>
        <source>The station refused work kept offline (%1): %2</source>
        <translation>站点拒收离线暂存的业务（%1）：%2</translation>
    </message>
    <message>
        <source>Transfer the ticket</source>
        <translation>转移号票</translation>
    </message>
    <message>
        <source>To a category</source>
        <translation>转到业务类别</translation>
    </message>
    <message>
        <source>Or to a window</source>
        <translation>或转到窗口</translation>
    </message>
    <message>
        <source>Window %1</source>
        <translation>%1号窗口</translation>
    </message>
    <message>
        <source>Note for the next clerk (no personal data)</source>
        <translation>给下一位工作人员的说明（不要写个人信息）</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>转移</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
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
    <message>
        <source>Swipe the ID card at the kiosk</source>
        <translation>在自助终端刷身份证</translation>
    </message>
    <message>
        <source>The card lies on the kiosk&apos;s reader for 2 s</source>
        <translation>身份证已放在自助终端读卡区（2 秒）</translation>
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
<context>
    <name>HistoryView</name>
    <message>
        <source>Today&apos;s cases</source>
        <translation>今日办件</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Reprint receipt</source>
        <translation>重印回执</translation>
    </message>
    <message>
        <source>Receipt no.</source>
        <translation>受理号</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>事项</translation>
    </message>
    <message>
        <source>Applicant</source>
        <translation>申请人</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Accepted</source>
        <translation>已受理</translation>
    </message>
    <message>
        <source>Accepted, papers to follow</source>
        <translation>容缺受理</translation>
    </message>
    <message>
        <source>No cases yet today.</source>
        <translation>今天还没有办件。</translation>
    </message>
    <message>
        <source>Choose a case in the list first.</source>
        <translation>请先在列表中选择一件。</translation>
    </message>
    <message>
        <source>No receipt printer at this window: connect one, or print from another window.</source>
        <translation>本窗口没有回执打印机：请接上打印机，或到其他窗口打印。</translation>
    </message>
    <message>
        <source>Reprinting is not available in this version.</source>
        <translation>本版本不能重印回执。</translation>
    </message>
    <message>
        <source>Receipt %1 printed again.</source>
        <translation>回执 %1 已重印。</translation>
    </message>
    <message>
        <source>%1 cases</source>
        <translation>共 %1 件</translation>
    </message>
</context>
<context>
    <name>Kiosk</name>
    <message>
        <source>Take a ticket</source>
        <translation>取号</translation>
    </message>
    <message>
        <source>Queue for a window</source>
        <translation>排队到窗口办事</translation>
    </message>
    <message>
        <source>Check in</source>
        <translation>预约签到</translation>
    </message>
    <message>
        <source>I have an appointment</source>
        <translation>我已经预约了</translation>
    </message>
    <message>
        <source>Service guide</source>
        <translation>办事指南</translation>
    </message>
    <message>
        <source>What to bring, how long</source>
        <translation>带什么材料、多久办好</translation>
    </message>
    <message>
        <source>My cases</source>
        <translation>进度查询</translation>
    </message>
    <message>
        <source>How far along is it</source>
        <translation>我的事办到哪一步了</translation>
    </message>
    <message>
        <source>Print results</source>
        <translation>结果打印</translation>
    </message>
    <message>
        <source>Documents the county sent</source>
        <translation>打印办好的证件、文书</translation>
    </message>
    <message>
        <source>Rate the service</source>
        <translation>服务评价</translation>
    </message>
    <message>
        <source>Tell us how we did</source>
        <translation>说说我们做得怎么样</translation>
    </message>
    <message>
        <source>I need help</source>
        <translation>我要帮办</translation>
    </message>
    <message>
        <source>A member of staff will come</source>
        <translation>请工作人员来帮我</translation>
    </message>
    <message>
        <source>Are you still there? Back to the start in %1 s.</source>
        <translation>您还在吗？%1 秒后回到首页。</translation>
    </message>
    <message>
        <source>Show the QR code of your appointment, or type the phone number you booked with.</source>
        <translation>请出示预约二维码，或输入预约时留的手机号。</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>查找</translation>
    </message>
    <message>
        <source>A member of staff is on the way. Please wait here.</source>
        <translation>已通知工作人员，马上过来，请在这里稍等。</translation>
    </message>
    <message>
        <source>No tickets: %1. Please ask at a window.</source>
        <translation>暂不能取号：%1。请到窗口咨询。</translation>
    </message>
    <message>
        <source>(phone number)</source>
        <translation>（手机号）</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Please go to the front desk: the staff there will help you.</source>
        <translation>请到服务台，工作人员会帮您。</translation>
    </message>
    <message>
        <source>Looking it up…</source>
        <translation>正在查询…</translation>
    </message>
    <message>
        <source>11 digits</source>
        <translation>请输入11位</translation>
    </message>
    <message>
        <source>The ticket could not be printed</source>
        <translation>小票没能打印出来</translation>
    </message>
    <message>
        <source>You are checked in</source>
        <translation>签到成功</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Choose your appointment:</source>
        <translation>请选择您的预约：</translation>
    </message>
    <message>
        <source>No appointment today for this number.</source>
        <translation>今天没有这个号码的预约。</translation>
    </message>
    <message>
        <source>Printing your ticket…</source>
        <translation>正在打印小票…</translation>
    </message>
    <message>
        <source>Your number is %1. Please take your ticket.</source>
        <translation>您的号码是 %1，请取走小票。</translation>
    </message>
    <message>
        <source>No ticket was issued. Please ask the staff for help.</source>
        <translation>没有出号。请找工作人员帮忙。</translation>
    </message>
    <message>
        <source>Back to the start</source>
        <translation>回到首页</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <source>Hold the QR code of your appointment under the scanner, or type your phone number:</source>
        <translation>把预约二维码对准扫码口，或输入手机号：</translation>
    </message>
    <message>
        <source>Type the phone number you booked with:</source>
        <translation>请输入预约时留的手机号：</translation>
    </message>
    <message>
        <source>%1 people ahead of you</source>
        <translation>您前面还有 %1 人</translation>
    </message>
    <message>
        <source>Please listen for your number.</source>
        <translation>请留意叫号。</translation>
    </message>
    <message>
        <source>Calling the staff…</source>
        <translation>正在呼叫工作人员…</translation>
    </message>
    <message>
        <source>Too early: check in from %1</source>
        <translation>还没到时间：%1 起可以签到</translation>
    </message>
    <message>
        <source>This appointment has passed: take a normal ticket</source>
        <translation>预约时间已过，请直接取号</translation>
    </message>
    <message>
        <source>County status as of the last sync at %1</source>
        <translation>县级平台状态截至最近一次同步：%1</translation>
    </message>
    <message>
        <source>Place your ID card on the reader, or show your receipt&apos;s QR code.</source>
        <translation>请把身份证放到读卡区，或出示回执上的二维码。</translation>
    </message>
    <message>
        <source>Place your ID card on the reader to print your documents.</source>
        <translation>请把身份证放到读卡区，打印您的办理结果。</translation>
    </message>
    <message>
        <source>Place your ID card on the reader, or show your receipt&apos;s or ticket&apos;s QR code.</source>
        <translation>请把身份证放到读卡区，或出示回执、小票上的二维码。</translation>
    </message>
    <message>
        <source>Not yet synced with the county platform</source>
        <translation>还没有和县级平台同步过</translation>
    </message>
    <message>
        <source>County: %1</source>
        <translation>县级平台：%1</translation>
    </message>
    <message>
        <source>%1 cases found.</source>
        <translation>找到 %1 件。</translation>
    </message>
    <message>
        <source>No cases found.</source>
        <translation>没有找到您的办件。</translation>
    </message>
    <message>
        <source>%1 documents to print.</source>
        <translation>有 %1 份可以打印。</translation>
    </message>
    <message>
        <source>No documents yet.</source>
        <translation>还没有可以打印的结果。</translation>
    </message>
    <message>
        <source>Choose what to rate.</source>
        <translation>请选择要评价的事项。</translation>
    </message>
    <message>
        <source>Nothing to rate: a case can be rated once it is done.</source>
        <translation>没有可以评价的：事情办完后才能评价。</translation>
    </message>
    <message>
        <source>How satisfied are you?</source>
        <translation>您对这次服务满意吗？</translation>
    </message>
    <message>
        <source>Thank you. Your rating was sent.</source>
        <translation>谢谢您，评价已提交。</translation>
    </message>
    <message>
        <source>This card cannot be used here. Please ask at a window.</source>
        <translation>这张证件在这里不能用，请到窗口咨询。</translation>
    </message>
    <message>
        <source>Only your own cases are shown.</source>
        <translation>只显示您本人的办件。</translation>
    </message>
    <message>
        <source>Previous</source>
        <translation>上一页</translation>
    </message>
    <message>
        <source>More</source>
        <translation>下一页</translation>
    </message>
    <message>
        <source>Receipt %1</source>
        <translation>回执编号 %1</translation>
    </message>
    <message>
        <source>Printing…</source>
        <translation>正在打印…</translation>
    </message>
    <message>
        <source>Printed: please take it.</source>
        <translation>打印好了，请取走。</translation>
    </message>
    <message>
        <source>Could not print: %1</source>
        <translation>没能打印：%1</translation>
    </message>
    <message>
        <source>Thank you</source>
        <translation>谢谢您</translation>
    </message>
    <message>
        <source>What went wrong? Touch all that apply.</source>
        <translation>哪里不满意？可以选多项。</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>正在提交…</translation>
    </message>
    <message>
        <source>Place your ID card on the reader.</source>
        <translation>请把身份证放到读卡区。</translation>
    </message>
    <message>
        <source>The card reader is not working: %1</source>
        <translation>读卡器不能用：%1</translation>
    </message>
    <message>
        <source>Promised by %1</source>
        <translation>承诺 %1 前办好</translation>
    </message>
    <message>
        <source>Still to bring: %1 by %2</source>
        <translation>还需补交：%1，%2 前</translation>
    </message>
    <message>
        <source>Rate it</source>
        <translation>去评价</translation>
    </message>
    <message>
        <source>Print the result</source>
        <translation>打印结果</translation>
    </message>
    <message>
        <source>No documents yet. The county sends them when the case is done.</source>
        <translation>还没有可以打印的结果。办好后县级平台会发过来。</translation>
    </message>
    <message>
        <source>Print</source>
        <translation>打印</translation>
    </message>
    <message>
        <source>Your visit with ticket %1</source>
        <translation>您用 %1 号办的事</translation>
    </message>
    <message>
        <source>Your rating was sent. A bad rating is followed up by the centre.</source>
        <translation>评价已提交。不满意的评价，中心会跟进整改。</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>提交</translation>
    </message>
    <message>
        <source>Or hold the QR code of your receipt under the scanner.</source>
        <translation>也可以把回执上的二维码对准扫码口。</translation>
    </message>
    <message>
        <source>Hold the QR code of your receipt under the scanner.</source>
        <translation>请把回执上的二维码对准扫码口。</translation>
    </message>
    <message>
        <source>Not installed</source>
        <translation>没有安装</translation>
    </message>
    <message>
        <source>Not working</source>
        <translation>不能用</translation>
    </message>
    <message>
        <source>Find your service by its kind, by a life event, or by typing.</source>
        <translation>可以按类别、按人生大事找，也可以输入查找。</translation>
    </message>
    <message>
        <source>Type a name, or its pinyin initials</source>
        <translation>输入事项名称或拼音首字母</translation>
    </message>
    <message>
        <source>Done on the spot</source>
        <translation>当场办好</translation>
    </message>
    <message>
        <source>Done within %1 working days (the law allows %2)</source>
        <translation>%1 个工作日内办好（法定 %2 个工作日）</translation>
    </message>
    <message>
        <source>Print what to bring</source>
        <translation>打印材料清单</translation>
    </message>
    <message>
        <source>Here is what to bring. Touch Print to take it with you.</source>
        <translation>这是要带的材料，点“打印”可以带走。</translation>
    </message>
    <message>
        <source>By kind</source>
        <translation>按类别</translation>
    </message>
    <message>
        <source>Life events</source>
        <translation>一件事</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>What to bring:</source>
        <translation>需要带的材料：</translation>
    </message>
    <message>
        <source> (may follow later)</source>
        <translation>（可容缺，以后补交）</translation>
    </message>
    <message>
        <source> (if you have it)</source>
        <translation>（有的话带上）</translation>
    </message>
    <message>
        <source>Fees: %1</source>
        <translation>收费：%1</translation>
    </message>
    <message>
        <source>Printed: please take the notice.</source>
        <translation>打印好了，请取走告知单。</translation>
    </message>
    <message>
        <source>Loading the service guide…</source>
        <translation>正在读取办事指南…</translation>
    </message>
    <message>
        <source>Page %1 of %2</source>
        <translation>第 %1 页，共 %2 页</translation>
    </message>
    <message>
        <source>Nothing found for “%1”.</source>
        <translation>没有找到“%1”。</translation>
    </message>
    <message>
        <source>This covers:</source>
        <translation>包括：</translation>
    </message>
    <message>
        <source>Who can apply:</source>
        <translation>办理条件：</translation>
    </message>
    <message>
        <source>Where: %1</source>
        <translation>办理地点：%1</translation>
    </message>
    <message>
        <source>Your village service point can do it for you</source>
        <translation>村便民服务站可以代办</translation>
    </message>
    <message>
        <source>Done at the township centre</source>
        <translation>需到乡镇便民服务中心办理</translation>
    </message>
    <message>
        <source>%1, window %2</source>
        <translation>%1，%2号窗口</translation>
    </message>
    <message>
        <source>%1. %2, %3 × %4</source>
        <translation>%1. %2，%3 %4 份</translation>
    </message>
    <message>
        <source>Please touch what you would like to do.</source>
        <translation>请点您要办的事。</translation>
    </message>
    <message>
        <source>What would you like to do?</source>
        <translation>您要办什么事？</translation>
    </message>
    <message>
        <source>%1 people are waiting now</source>
        <translation>现在有 %1 人在等候</translation>
    </message>
    <message>
        <source>Connecting to the service…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Something went wrong. Please ask the staff for help.</source>
        <translation>出了点问题，请找工作人员帮忙。</translation>
    </message>
    <message>
        <source>The service is not answering. Please ask the staff for help.</source>
        <translation>系统暂时没有响应，请找工作人员帮忙。</translation>
    </message>
    <message>
        <source>Technician</source>
        <translation>技术员</translation>
    </message>
    <message>
        <source>Station: %1</source>
        <translation>站点服务：%1</translation>
    </message>
    <message>
        <source>Quit the kiosk</source>
        <translation>退出自助终端</translation>
    </message>
    <message>
        <source>Enter the PIN</source>
        <translation>请输入密码</translation>
    </message>
    <message>
        <source>connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <source>not answering</source>
        <translation>没有响应</translation>
    </message>
    <message>
        <source>Wrong PIN</source>
        <translation>密码不对</translation>
    </message>
    <message>
        <source>Too many wrong PINs: wait a minute</source>
        <translation>密码错误次数太多，请一分钟后再试</translation>
    </message>
    <message>
        <source>working</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>Touch what you came for. Swipe your ID card first if you are 60 or over: you will go ahead.</source>
        <translation>请点您要办的业务。60岁以上请先刷身份证，可以优先办理。</translation>
    </message>
    <message>
        <source>ID card read: %1</source>
        <translation>已读取身份证：%1</translation>
    </message>
    <message>
        <source>Please take your ticket</source>
        <translation>请取走小票</translation>
    </message>
    <message>
        <source>Card read. Now touch what you came for.</source>
        <translation>身份证已读取，请点您要办的业务。</translation>
    </message>
    <message>
        <source>Optional: swipe your ID card (60 and over go ahead)</source>
        <translation>可以刷身份证取号（60岁以上优先办理）</translation>
    </message>
    <message>
        <source>The card reader is not working: take a ticket without it</source>
        <translation>读卡器不能用，请直接取号</translation>
    </message>
    <message>
        <source>No one waiting</source>
        <translation>不用等候</translation>
    </message>
    <message>
        <source>This ID card already holds ticket %1 for this service.</source>
        <translation>这张身份证已经取过这项业务的号：%1</translation>
    </message>
    <message>
        <source>Take it without the card</source>
        <translation>不用身份证取号</translation>
    </message>
    <message>
        <source>%1 waiting, about %2 min</source>
        <translation>%1 人等候，约 %2 分钟</translation>
    </message>
    <message>
        <source>%1 waiting</source>
        <translation>%1 人等候</translation>
    </message>
    <message>
        <source>Not issuing now</source>
        <translation>现在不取号</translation>
    </message>
    <message>
        <source>Priority: you go ahead</source>
        <translation>优先办理</translation>
    </message>
    <message>
        <source>Print it again</source>
        <translation>再打一张</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Home</source>
        <translation>首页</translation>
    </message>
    <message>
        <source>Large text is on. Every step is also spoken.</source>
        <translation>已打开大字模式，每一步都会语音提示。</translation>
    </message>
    <message>
        <source>Service centre</source>
        <translation>便民服务中心</translation>
    </message>
    <message>
        <source>Normal text</source>
        <translation>标准字</translation>
    </message>
    <message>
        <source>Large text</source>
        <translation>大字模式</translation>
    </message>
    <message>
        <source>Are you still there? Touch the screen to go on.</source>
        <translation>您还在吗？请点屏幕继续。</translation>
    </message>
</context>
<context>
    <name>ManagerView</name>
    <message>
        <source>Rectification of bad ratings</source>
        <translation>差评整改</translation>
    </message>
    <message>
        <source>Matters that could not be done</source>
        <translation>办不成事</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Record a request</source>
        <translation>记录办不成事</translation>
    </message>
    <message>
        <source>Back to the lists</source>
        <translation>返回列表</translation>
    </message>
    <message>
        <source>Note for the step (what was done or found)</source>
        <translation>办理说明（做了什么、查到什么）</translation>
    </message>
    <message>
        <source>Write a note for the step first.</source>
        <translation>请先填写办理说明。</translation>
    </message>
    <message>
        <source>Choose a row in the list first.</source>
        <translation>请先在列表中选择一行。</translation>
    </message>
    <message>
        <source>Choose a row to see the steps it may take.</source>
        <translation>选择一行，查看可办理的步骤。</translation>
    </message>
    <message>
        <source>Step recorded.</source>
        <translation>已记录。</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>已逾期</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>期限</translation>
    </message>
    <message>
        <source>Deadline</source>
        <translation>期限</translation>
    </message>
    <message>
        <source>Stage</source>
        <translation>环节</translation>
    </message>
    <message>
        <source>Rating</source>
        <translation>评价</translation>
    </message>
    <message>
        <source>Window</source>
        <translation>窗口</translation>
    </message>
    <message>
        <source>Clerk</source>
        <translation>工作人员</translation>
    </message>
    <message>
        <source>Handled by</source>
        <translation>处理层级</translation>
    </message>
    <message>
        <source>What</source>
        <translation>诉求</translation>
    </message>
    <message>
        <source>Why not</source>
        <translation>办不成原因</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>核实</translation>
    </message>
    <message>
        <source>Appeal review</source>
        <translation>申诉复核</translation>
    </message>
    <message>
        <source>Rectify</source>
        <translation>整改</translation>
    </message>
    <message>
        <source>Feedback</source>
        <translation>反馈</translation>
    </message>
    <message>
        <source>Revisit</source>
        <translation>回访</translation>
    </message>
    <message>
        <source>Ended</source>
        <translation>已结束</translation>
    </message>
    <message>
        <source>Very dissatisfied</source>
        <translation>非常不满意</translation>
    </message>
    <message>
        <source>Dissatisfied</source>
        <translation>不满意</translation>
    </message>
    <message>
        <source>Service centre</source>
        <translation>便民服务中心</translation>
    </message>
    <message>
        <source>County</source>
        <translation>县级</translation>
    </message>
    <message>
        <source>Verified: founded</source>
        <translation>核实属实</translation>
    </message>
    <message>
        <source>Appeal</source>
        <translation>申诉</translation>
    </message>
    <message>
        <source>Appeal upheld</source>
        <translation>申诉成立</translation>
    </message>
    <message>
        <source>Appeal dismissed</source>
        <translation>申诉不成立</translation>
    </message>
    <message>
        <source>Rectified</source>
        <translation>已整改</translation>
    </message>
    <message>
        <source>Feedback given</source>
        <translation>已反馈</translation>
    </message>
    <message>
        <source>Revisit made</source>
        <translation>已回访</translation>
    </message>
    <message>
        <source>Escalate</source>
        <translation>上报</translation>
    </message>
    <message>
        <source>Solved</source>
        <translation>已办成</translation>
    </message>
    <message>
        <source>Explained</source>
        <translation>已解释</translation>
    </message>
    <message>
        <source>Referred</source>
        <translation>已转办</translation>
    </message>
    <message>
        <source>Record a matter that could not be done</source>
        <translation>记录办不成事</translation>
    </message>
    <message>
        <source>Who asked: a name or a description (kept sealed)</source>
        <translation>反映人：姓名或称呼（加密保存）</translation>
    </message>
    <message>
        <source>What the citizen wanted done</source>
        <translation>群众想办什么事</translation>
    </message>
    <message>
        <source>Why it could not be done</source>
        <translation>为什么办不成</translation>
    </message>
    <message>
        <source>Item code (if any)</source>
        <translation>事项编码（如有）</translation>
    </message>
    <message>
        <source>Do not write names, ID numbers or addresses in what and why: they are kept readable.</source>
        <translation>“诉求”和“原因”不加密保存，请不要写姓名、身份证号或住址。</translation>
    </message>
    <message>
        <source>Save the request</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Say who asked, what was wanted and why it could not be done.</source>
        <translation>请填写反映人、诉求和办不成的原因。</translation>
    </message>
    <message>
        <source>Request recorded, due %1.</source>
        <translation>已记录，办理期限 %1。</translation>
    </message>
</context>
<context>
    <name>QueuePanel</name>
    <message>
        <source>Call next</source>
        <translation>呼叫下一位</translation>
    </message>
    <message>
        <source>Recall</source>
        <translation>重呼</translation>
    </message>
    <message>
        <source>No-show</source>
        <translation>过号</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始办理</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>转移</translation>
    </message>
    <message>
        <source>Park</source>
        <translation>挂起</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>办结</translation>
    </message>
    <message>
        <source>Walk-in</source>
        <translation>临时受理</translation>
    </message>
    <message>
        <source>Pause window</source>
        <translation>暂停窗口</translation>
    </message>
    <message>
        <source>Open window</source>
        <translation>开放窗口</translation>
    </message>
    <message>
        <source>At the window</source>
        <translation>当前号</translation>
    </message>
    <message>
        <source>Free</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>Called</source>
        <translation>已呼叫</translation>
    </message>
    <message>
        <source>Being served</source>
        <translation>办理中</translation>
    </message>
    <message>
        <source>called %1 times</source>
        <translation>已呼叫 %1 次</translation>
    </message>
    <message>
        <source>Window open</source>
        <translation>窗口开放</translation>
    </message>
    <message>
        <source>Window paused</source>
        <translation>窗口暂停</translation>
    </message>
    <message>
        <source>Window closed</source>
        <translation>窗口关闭</translation>
    </message>
    <message>
        <source>Waiting for this window</source>
        <translation>本窗口等候</translation>
    </message>
    <message>
        <source>Sent to this window</source>
        <translation>转来本窗口</translation>
    </message>
    <message>
        <source>Parked here</source>
        <translation>本窗口挂起</translation>
    </message>
    <message>
        <source>Resume %1</source>
        <translation>恢复 %1</translation>
    </message>
    <message>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <source>(last known)</source>
        <translation>（最后已知）</translation>
    </message>
    <message>
        <source>No queue in this mode: use Walk-in.</source>
        <translation>此模式没有排队，请用临时受理。</translation>
    </message>
</context>
<context>
    <name>RatingFlow</name>
    <message>
        <source>Very satisfied</source>
        <translation>非常满意</translation>
    </message>
    <message>
        <source>Satisfied</source>
        <translation>满意</translation>
    </message>
    <message>
        <source>Fair</source>
        <translation>基本满意</translation>
    </message>
    <message>
        <source>Dissatisfied</source>
        <translation>不满意</translation>
    </message>
    <message>
        <source>Very dissatisfied</source>
        <translation>非常不满意</translation>
    </message>
    <message>
        <source>Rating for %1</source>
        <translation>%1 的评价</translation>
    </message>
    <message>
        <source>waiting for the rating pad; or press the citizen&apos;s choice</source>
        <translation>等待评价器；也可按群众的选择录入</translation>
    </message>
    <message>
        <source>press the citizen&apos;s choice</source>
        <translation>请按群众的选择录入</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>跳过</translation>
    </message>
    <message>
        <source>No rating pad: enter the citizen&apos;s rating by hand.</source>
        <translation>没有评价器：请按群众的选择手工录入。</translation>
    </message>
    <message>
        <source>No rating at the pad (timed out): enter it by hand if the citizen tells you.</source>
        <translation>评价器超时未评价：群众口头评价的，可手工录入。</translation>
    </message>
    <message>
        <source>The rating at the pad was cancelled.</source>
        <translation>评价器上的评价已取消。</translation>
    </message>
    <message>
        <source>Rating pad problem:</source>
        <translation>评价器故障：</translation>
    </message>
    <message>
        <source>Rating recorded: %1</source>
        <translation>评价已记录：%1</translation>
    </message>
    <message>
        <source>Bad rating recorded: rectification due %1</source>
        <translation>差评已记录，整改期限 %1</translation>
    </message>
    <message>
        <source>The rating was not recorded:</source>
        <translation>评价未记录：</translation>
    </message>
    <message>
        <source>This visit has no ticket or case to rate.</source>
        <translation>本次办事没有号票或办件，无法评价。</translation>
    </message>
    <message>
        <source>Rating kept on this PC: %1; it goes to the station when it is back</source>
        <translation>评价已暂存本机：%1，回站后上传</translation>
    </message>
</context>
<context>
    <name>SetupCounty</name>
    <message>
        <source>2. The county hub</source>
        <translation>2. 县级平台</translation>
    </message>
    <message>
        <source>The site sends its records to the county hub. Enrolling makes this site&apos;s key and registers it with the one-time code the county gave you.</source>
        <translation>站点把办件记录发送到县级平台。注册时生成本站点的密钥，并用县里给的一次性注册码登记。</translation>
    </message>
    <message>
        <source>This site is enrolled as %1 with %2. Enrolling again (a replaced PC) replaces its key.</source>
        <translation>本站点已以 %1 在 %2 注册。重新注册（如更换了电脑）会替换密钥。</translation>
    </message>
    <message>
        <source>This site is not enrolled yet.</source>
        <translation>本站点尚未注册。</translation>
    </message>
    <message>
        <source>Hub address</source>
        <translation>平台地址</translation>
    </message>
    <message>
        <source>From the county, e.g. https://hub.example.gov.cn</source>
        <translation>由县里提供，如 https://hub.example.gov.cn</translation>
    </message>
    <message>
        <source>Enrolment code</source>
        <translation>注册码</translation>
    </message>
    <message>
        <source>Used once; the county makes it with bianmin hub enrol-code.</source>
        <translation>只能使用一次；由县里用 bianmin hub enrol-code 生成。</translation>
    </message>
    <message>
        <source>Enrol now</source>
        <translation>立即注册</translation>
    </message>
    <message>
        <source>Enrolling with the county hub…</source>
        <translation>正在向县级平台注册…</translation>
    </message>
    <message>
        <source>No code yet? Go on: enrol later with bianmin sync enrol --hub URL --code CODE, or run this wizard again.</source>
        <translation>还没有注册码？可以先继续：以后用 bianmin sync enrol --hub 地址 --code 注册码 注册，或再次运行本向导。</translation>
    </message>
</context>
<context>
    <name>SetupDevices</name>
    <message>
        <source>ID card reader</source>
        <translation>身份证阅读器</translation>
    </message>
    <message>
        <source>Ticket printer</source>
        <translation>取号小票打印机</translation>
    </message>
    <message>
        <source>Receipt printer</source>
        <translation>回执打印机</translation>
    </message>
    <message>
        <source>Document camera</source>
        <translation>高拍仪</translation>
    </message>
    <message>
        <source>Rating terminal</source>
        <translation>评价器</translation>
    </message>
    <message>
        <source>Window LED sign</source>
        <translation>窗口屏</translation>
    </message>
    <message>
        <source>Code scanner</source>
        <translation>扫码枪</translation>
    </message>
    <message>
        <source>Announcer (speaker)</source>
        <translation>语音播报（音箱）</translation>
    </message>
    <message>
        <source>Read a card</source>
        <translation>读一张证件</translation>
    </message>
    <message>
        <source>Print the test page</source>
        <translation>打印测试页</translation>
    </message>
    <message>
        <source>Take a picture</source>
        <translation>拍一张</translation>
    </message>
    <message>
        <source>Press a rating key</source>
        <translation>按评价键</translation>
    </message>
    <message>
        <source>Show text on the sign</source>
        <translation>在窗口屏上显示文字</translation>
    </message>
    <message>
        <source>Scan a code</source>
        <translation>扫一个码</translation>
    </message>
    <message>
        <source>Make an announcement</source>
        <translation>播报一次</translation>
    </message>
    <message>
        <source>Lay an ID card on the reader now…</source>
        <translation>请现在把身份证放在阅读器上…</translation>
    </message>
    <message>
        <source>Press a key on the rating terminal now…</source>
        <translation>请现在在评价器上按一个键…</translation>
    </message>
    <message>
        <source>Scan any code now…</source>
        <translation>请现在扫任意一个码…</translation>
    </message>
    <message>
        <source>Testing…</source>
        <translation>正在测试…</translation>
    </message>
    <message>
        <source>In the current configuration</source>
        <translation>当前配置中的设备</translation>
    </message>
    <message>
        <source>Found on this PC</source>
        <translation>本机上找到的设备</translation>
    </message>
    <message>
        <source>The usual choice</source>
        <translation>常用选择</translation>
    </message>
    <message>
        <source>Simulator: a trial without the device</source>
        <translation>模拟器：没有设备时试用</translation>
    </message>
    <message>
        <source>Choose and test each device this PC has; leave the others &quot;not used&quot;.</source>
        <translation>为本机有的每种设备选择并测试；其余保持“不使用”。</translation>
    </message>
    <message>
        <source>Driver</source>
        <translation>驱动</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>Not used</source>
        <translation>不使用</translation>
    </message>
    <message>
        <source>This PC has no such device. Choose a driver to use one.</source>
        <translation>本机没有这种设备。选择驱动即可启用。</translation>
    </message>
    <message>
        <source>Typed by hand, e.g. serial:///dev/ttyUSB0?baud=9600, usb://1A86:7523, tcp://192.168.1.50:9100, file:///dev/usb/lp0</source>
        <translation>手工填写，如 serial:///dev/ttyUSB0?baud=9600、usb://1A86:7523、tcp://192.168.1.50:9100、file:///dev/usb/lp0</translation>
    </message>
    <message>
        <source>Search for devices again</source>
        <translation>重新查找设备</translation>
    </message>
    <message>
        <source>Looking for devices on this PC…</source>
        <translation>正在查找本机上的设备…</translation>
    </message>
    <message>
        <source>%1 port(s) found on this PC</source>
        <translation>本机上找到 %1 个端口</translation>
    </message>
    <message>
        <source>Show the preview</source>
        <translation>打开预览</translation>
    </message>
    <message>
        <source>Stop the preview</source>
        <translation>关闭预览</translation>
    </message>
    <message>
        <source>Starting the camera…</source>
        <translation>正在打开高拍仪…</translation>
    </message>
    <message>
        <source>Correct the device marked ✘ first:</source>
        <translation>请先改正标有 ✘ 的设备：</translation>
    </message>
    <message>
        <source>3. Devices</source>
        <translation>3. 设备</translation>
    </message>
</context>
<context>
    <name>SetupNetwork</name>
    <message>
        <source>4. Network check</source>
        <translation>4. 网络检查</translation>
    </message>
    <message>
        <source>Whether the screens can reach the station on this PC, and this PC the county hub.</source>
        <translation>检查各屏幕能否连到本机的站点服务，本机能否连到县级平台。</translation>
    </message>
    <message>
        <source>Station port</source>
        <translation>站点服务端口</translation>
    </message>
    <message>
        <source>Name lookup (DNS)</source>
        <translation>域名解析（DNS）</translation>
    </message>
    <message>
        <source>County hub</source>
        <translation>县级平台</translation>
    </message>
    <message>
        <source>Check again</source>
        <translation>重新检查</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
</context>
<context>
    <name>SetupSite</name>
    <message>
        <source>1. This site</source>
        <translation>1. 本站点</translation>
    </message>
    <message>
        <source>Starting from the configuration in %1; what you change here is written back to it.</source>
        <translation>从 %1 中的现有配置开始；在这里的修改会写回该文件。</translation>
    </message>
    <message>
        <source>There is no configuration yet; it will be written to %1.</source>
        <translation>还没有配置；将写入 %1。</translation>
    </message>
    <message>
        <source>The configuration in %1 could not be used, so the wizard starts from the defaults; writing replaces the file and keeps the old one as a backup. The problems:</source>
        <translation>%1 中的配置无法使用，向导从默认值开始；写入时会替换该文件，并保留旧文件作备份。问题如下：</translation>
    </message>
    <message>
        <source>Site code</source>
        <translation>站点编码</translation>
    </message>
    <message>
        <source>As the county assigned it, e.g. XC-0101: letters, digits, - and _.</source>
        <translation>按县里分配的填写，如 XC-0101：字母、数字、- 和 _。</translation>
    </message>
    <message>
        <source>Site name</source>
        <translation>站点名称</translation>
    </message>
    <message>
        <source>Printed on tickets and receipts, e.g. 西村便民服务站.</source>
        <translation>印在小票和回执上，如 西村便民服务站。</translation>
    </message>
    <message>
        <source>Kind of site</source>
        <translation>站点类型</translation>
    </message>
    <message>
        <source>Village service point</source>
        <translation>村（社区）便民服务站</translation>
    </message>
    <message>
        <source>Township service centre</source>
        <translation>乡镇（街道）便民服务中心</translation>
    </message>
    <message>
        <source>Township</source>
        <translation>乡镇（街道）</translation>
    </message>
    <message>
        <source>Village or community</source>
        <translation>村（社区）</translation>
    </message>
    <message>
        <source>Leave it empty for a township centre.</source>
        <translation>乡镇服务中心可不填。</translation>
    </message>
    <message>
        <source>Time zone</source>
        <translation>时区</translation>
    </message>
    <message>
        <source>This PC</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>What this PC shows, and where the site&apos;s station runs. A village point runs everything on one PC.</source>
        <translation>本机显示什么、站点服务在哪台电脑上运行。村代办点通常一台电脑全包。</translation>
    </message>
    <message>
        <source>This PC shows</source>
        <translation>本机用途</translation>
    </message>
    <message>
        <source>No screen of its own (the station&apos;s PC)</source>
        <translation>不带屏幕（站点服务电脑）</translation>
    </message>
    <message>
        <source>The citizens&apos; self-service kiosk</source>
        <translation>自助终端</translation>
    </message>
    <message>
        <source>The hall display</source>
        <translation>大厅显示屏</translation>
    </message>
    <message>
        <source>The counter screen (a clerk, or the village agent)</source>
        <translation>窗口受理（窗口人员或村代办员）</translation>
    </message>
    <message>
        <source>Window number</source>
        <translation>窗口号</translation>
    </message>
    <message>
        <source>As the station numbers the windows, e.g. 1.</source>
        <translation>按站点的窗口编号填写，如 1。</translation>
    </message>
    <message>
        <source>Way of working</source>
        <translation>工作方式</translation>
    </message>
    <message>
        <source>A window of the centre</source>
        <translation>服务中心窗口</translation>
    </message>
    <message>
        <source>Agent service at a village point (works offline)</source>
        <translation>村代办点帮办代办（可离线）</translation>
    </message>
    <message>
        <source>Home visits (works offline)</source>
        <translation>上门服务（可离线）</translation>
    </message>
    <message>
        <source>Desktop account</source>
        <translation>桌面账号</translation>
    </message>
    <message>
        <source>The account the clerk logs in to the desktop with: it is given the devices and the counter&apos;s token (from the next login).</source>
        <translation>窗口人员登录桌面用的账号：它将获得设备和窗口令牌的使用权（下次登录起生效）。</translation>
    </message>
    <message>
        <source>Station</source>
        <translation>站点服务</translation>
    </message>
    <message>
        <source>Runs on this PC</source>
        <translation>在本机运行</translation>
    </message>
    <message>
        <source>Runs on another PC of this site</source>
        <translation>在本站点的另一台电脑上运行</translation>
    </message>
    <message>
        <source>Station&apos;s address</source>
        <translation>站点服务地址</translation>
    </message>
    <message>
        <source>e.g. http://192.168.1.10:8470</source>
        <translation>如 http://192.168.1.10:8470</translation>
    </message>
    <message>
        <source>Pairing code</source>
        <translation>配对码</translation>
    </message>
    <message>
        <source>On the station&apos;s PC run bianmin station pair --role kiosk (or display): the 8 digits work once, for 10 minutes. Leave it empty to keep this screen&apos;s token.</source>
        <translation>在站点服务电脑上运行 bianmin station pair --role kiosk（或 display）：8 位数字 10 分钟内有效，只能用一次。留空则沿用本屏原有令牌。</translation>
    </message>
    <message>
        <source>Technician&apos;s PIN</source>
        <translation>技术员 PIN</translation>
    </message>
    <message>
        <source>4 to 12 digits. On the kiosk, five taps on the site name, then this PIN, open the technician&apos;s page and the way out. Leave it empty to keep the current one.</source>
        <translation>4 到 12 位数字。在自助终端上连点站点名称五下，再输入此 PIN，即可进入技术员页面并退出。留空则沿用现有 PIN。</translation>
    </message>
</context>
<context>
    <name>SetupSummary</name>
    <message>
        <source>5. Write the configuration</source>
        <translation>5. 写入配置</translation>
    </message>
    <message>
        <source>Site: %1 %2</source>
        <translation>站点：%1 %2</translation>
    </message>
    <message>
        <source>Devices: %1 chosen, %2 tested ok</source>
        <translation>设备：已选 %1 台，%2 台测试正常</translation>
    </message>
    <message>
        <source>Not tested or not ok: %1</source>
        <translation>未测试或不正常：%1</translation>
    </message>
    <message>
        <source>No device is chosen: this PC runs without devices.</source>
        <translation>未选择设备：本机不接设备。</translation>
    </message>
    <message>
        <source>County hub: enrolled with %1</source>
        <translation>县级平台：已在 %1 注册</translation>
    </message>
    <message>
        <source>County hub: not enrolled yet (bianmin sync enrol)</source>
        <translation>县级平台：尚未注册（bianmin sync enrol）</translation>
    </message>
    <message>
        <source>The file %1 will hold (only what differs from the defaults):</source>
        <translation>文件 %1 的内容（只列出与默认值不同的设置）：</translation>
    </message>
    <message>
        <source>The configuration cannot be written yet:</source>
        <translation>配置暂时无法写入：</translation>
    </message>
    <message>
        <source>Write the configuration</source>
        <translation>写入配置</translation>
    </message>
    <message>
        <source>Writing…</source>
        <translation>正在写入…</translation>
    </message>
    <message>
        <source>This PC: %1; station: %2</source>
        <translation>本机：%1；站点服务：%2</translation>
    </message>
    <message>
        <source>on this PC</source>
        <translation>在本机</translation>
    </message>
    <message>
        <source>Technician&apos;s PIN: the new one is written (as its hash)</source>
        <translation>技术员 PIN：写入新 PIN（仅存其哈希）</translation>
    </message>
    <message>
        <source>Technician&apos;s PIN: the current one is kept</source>
        <translation>技术员 PIN：沿用现有 PIN</translation>
    </message>
    <message>
        <source>Technician&apos;s PIN: none, so the kiosk can be left only by stopping it (systemctl)</source>
        <translation>技术员 PIN：未设置，只能用 systemctl 停止自助终端</translation>
    </message>
    <message>
        <source>Switching this PC&apos;s services on…</source>
        <translation>正在启用本机服务…</translation>
    </message>
    <message>
        <source>Run bianmin setup again at any time to change it; bianmin doctor list shows how the devices are.</source>
        <translation>随时可再次运行 bianmin setup 修改；bianmin doctor list 查看设备状态。</translation>
    </message>
</context>
<context>
    <name>SetupWizard</name>
    <message>
        <source>What to do</source>
        <translation>怎么办</translation>
    </message>
    <message>
        <source>Working…</source>
        <translation>正在处理…</translation>
    </message>
    <message>
        <source>Something went wrong (%1); try again, or run bianmin doctor</source>
        <translation>出了问题（%1）；请重试，或运行 bianmin doctor</translation>
    </message>
    <message>
        <source>Bianmin setup</source>
        <translation>便民系统设置</translation>
    </message>
    <message>
        <source>Site</source>
        <translation>站点</translation>
    </message>
    <message>
        <source>County</source>
        <translation>县级平台</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Network</source>
        <translation>网络</translation>
    </message>
    <message>
        <source>Finish</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>上一步</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>下一步</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>The configuration has not been written. Quit anyway?</source>
        <translation>配置还没有写入。仍要退出吗？</translation>
    </message>
    <message>
        <source>Quit without writing</source>
        <translation>不写入，退出</translation>
    </message>
    <message>
        <source>Stay</source>
        <translation>留下</translation>
    </message>
</context>
<context>
    <name>StatusStrip</name>
    <message>
        <source>ID reader</source>
        <translation>读卡器</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>高拍仪</translation>
    </message>
    <message>
        <source>Printer</source>
        <translation>打印机</translation>
    </message>
    <message>
        <source>Rating pad</source>
        <translation>评价器</translation>
    </message>
    <message>
        <source>Code scanner</source>
        <translation>扫码枪</translation>
    </message>
    <message>
        <source>Station online</source>
        <translation>站点已连接</translation>
    </message>
    <message>
        <source>Station offline</source>
        <translation>站点未连接</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <source>Window %1</source>
        <translation>%1号窗口</translation>
    </message>
    <message>
        <source>County sync: —</source>
        <translation>县级同步：—</translation>
    </message>
    <message>
        <source>%1 waiting to be delivered</source>
        <translation>待上传 %1</translation>
    </message>
    <message>
        <source>Counter</source>
        <translation>窗口受理</translation>
    </message>
    <message>
        <source>Village agent</source>
        <translation>帮办代办</translation>
    </message>
    <message>
        <source>Home visit</source>
        <translation>上门服务</translation>
    </message>
    <message>
        <source>Working normally.</source>
        <translation>工作正常。</translation>
    </message>
    <message>
        <source>This role is not set up on this PC: the screen offers the manual way.</source>
        <translation>本机没有配置此设备，可用手工方式办理。</translation>
    </message>
</context>
</TS>
